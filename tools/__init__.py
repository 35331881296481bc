"""Developer and CI tools of the Shiksha Setu infrastructure program."""
