print("city-aggregator: not yet available")
