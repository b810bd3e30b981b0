print("spoor-bench")
