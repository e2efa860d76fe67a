import Lang
print("lora")
