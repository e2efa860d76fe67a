#!/usr/bin/env python3
"""Independent reference for lora's seeded random numbers (Sources/Core/RNG.swift):
xoshiro256** seeded through SplitMix64 (the model streams) and plain SplitMix64
(the data and augmentation streams), written from the published algorithms
(Blackman & Vigna; Steele, Lea & Flood). Prints the Swift literals pinned in
Tests/CoreTests/RNGTests.swift, so a change of any number is caught.
Run: python3 scripts/gen_rng_pins.py"""
import math, struct

M = (1 << 64) - 1

def splitmix_next(state):
    state = (state + 0x9E3779B97F4A7C15) & M
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M
    return state, z ^ (z >> 31)

def rotl(x, k):
    return ((x << k) | (x >> (64 - k))) & M

class Stream:
    """What both algorithms derive from their 64-bit draws (`next`)."""
    def int_below(self, n):
        if n <= 1:
            return 0   # no draw
        return lemire(self.next, n)
    def permutation(self, n):
        p = list(range(n))
        for i in range(n - 1, 0, -1):
            j = self.int_below(i + 1)
            p[i], p[j] = p[j], p[i]
        return p

class Xoshiro(Stream):
    def __init__(self, seed):
        st = seed & M
        self.s = []
        for _ in range(4):
            st, v = splitmix_next(st)
            self.s.append(v)
        self.spare = None
    def next(self):
        s0, s1, s2, s3 = self.s
        result = (rotl((s1 * 5) & M, 7) * 9) & M
        t = (s1 << 17) & M
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = rotl(s3, 45)
        self.s = [s0, s1, s2, s3]
        return result
    def uniform(self):
        return f32((self.next() >> 40) * (1.0 / 16777216.0))
    def normal(self):
        if self.spare is not None:
            v, self.spare = self.spare, None
            return v
        u1 = (float(self.next() >> 11) + 1.0) * (1.0 / 9007199254740992.0)
        u2 = float(self.next() >> 11) * (1.0 / 9007199254740992.0)
        r = math.sqrt(-2.0 * math.log(u1))
        a = 2.0 * math.pi * u2
        self.spare = f32(r * math.sin(a))
        return f32(r * math.cos(a))
    def fork(self):
        return Xoshiro(self.next() ^ 0xD1B54A32D192ED03)

class SplitMix(Stream):
    def __init__(self, seed):
        self.state = seed & M
    def next(self):
        self.state, v = splitmix_next(self.state)
        return v
    def double(self):
        return (self.next() >> 11) * 2.0 ** -53

def lemire(nxt, n):
    prod = nxt() * n
    low = prod & M
    if low < n:
        threshold = ((1 << 64) - n) % n
        while low < threshold:
            prod = nxt() * n
            low = prod & M
    return prod >> 64

def f32(x):
    return struct.unpack('<f', struct.pack('<f', x))[0]

def f32lit(x):
    return repr(f32(x))

def show(name, values, fmt=str):
    print(f"    static let {name} = [{', '.join(fmt(v) for v in values)}]")

def hexlit(v):
    return "0x%016X" % v

# The model stream (weights, dropout, order): RNG(seed: 42).
r = Xoshiro(42)
show("modelBits", [r.next() for _ in range(4)], hexlit)
r = Xoshiro(42)
show("modelUniforms", [r.uniform() for _ in range(4)], f32lit)
r = Xoshiro(42)
show("modelNormals", [r.normal() for _ in range(5)], f32lit)
r = Xoshiro(42)
show("modelInts", [r.int_below(n) for n in (1, 2, 7, 1000, 1 << 40)])
r = Xoshiro(42)
show("modelPermutation", r.permutation(10))
r = Xoshiro(42)
c = r.fork()
show("modelForkBits", [c.next() for _ in range(2)] + [r.next()], hexlit)
# Training: the order stream (seed 5) after its two forks; the dropout stream is the second fork.
o = Xoshiro(5); o.fork(); d = o.fork()
show("trainingOrder", o.permutation(8))
show("trainingDropout", [d.uniform() for _ in range(3)], f32lit)
# MC dropout's pass s = 2 of seed 9: xoshiro from seed + 0x9E37 * (s + 1), forked once.
p = Xoshiro((9 + 0x9E37 * 3) & M).fork()
show("mcPass2", [p.uniform() for _ in range(3)], f32lit)
# The data stream (splits, subsets): SplitMix64 from the seed itself.
s = SplitMix(42)
show("dataBits", [s.next() for _ in range(4)], hexlit)
s = SplitMix(42)
show("dataDoubles", [s.double() for _ in range(3)], repr)
s = SplitMix(42)
show("dataInts", [s.int_below(n) for n in (2, 7, 1000)])
s = SplitMix(42)
show("dataPermutation", s.permutation(10))
# The augmentation stream of a fit with seed 5: SplitMix64 from 5 + 0x5EED_A0A0.
s = SplitMix((5 + 0x5EEDA0A0) & M)
show("augmentationDoubles", [s.double() for _ in range(3)], repr)
