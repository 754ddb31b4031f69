"""The public catalogue (no login): available resources and aggregated skills of the cooperation area."""
