import Tensor
// The Swift side of scripts/bench; see scripts/bench.
print("lora-bench")
