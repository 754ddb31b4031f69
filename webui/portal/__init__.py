"""The worker portal: invitations, sign-in links, "my pathway", acting on one's own requirements, one's data."""
