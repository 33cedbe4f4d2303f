"""Fleet health over time: baselines, snapshots of each host's dimensions, grades."""
