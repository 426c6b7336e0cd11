print("poe")
