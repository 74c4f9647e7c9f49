print("county-syncd: not yet available")
