"""Programme monitoring: the dashboard of what the desks achieved, its figures' cases, and exports."""
