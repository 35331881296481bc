"""The component package `shiksha` (docs/components-package.md)."""
