// swift-tools-version:6.0
// lora: LoRA-Ensembles on self-attention networks, with its own tensor engine,
// a small language, a REPL and a notebook runner. See README.md.
import PackageDescription

// Numeric hot paths are compiled with -Ounchecked in release builds: bounds are
// checked once at the op's entry (shapes), not per element.
let fast: [SwiftSetting] = [
    .unsafeFlags(["-Ounchecked", "-wmo"], .when(configuration: .release)),
]

let package = Package(
    name: "lora",
    // macOS 15: the Synchronization module (Mutex, Atomic) the engine and loaders use.
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "lora", targets: ["lora"]),
        .executable(name: "lora-bench", targets: ["lora-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        // System layers. CBLAS loads OpenBLAS at first use (dlopen), after
        // choosing OPENBLAS_CORETYPE for this CPU; see Sources/CBLAS.
        .target(name: "CBLAS", linkerSettings: [.linkedLibrary("dl"), .linkedLibrary("pthread")]),
        // Open MPI, loaded at run time (dlopen) only when mpirun started the
        // process: building and testing need no MPI. See Sources/CMPI.
        .target(name: "CMPI", linkerSettings: [.linkedLibrary("dl")]),
        .systemLibrary(name: "CEditLine", pkgConfig: "libedit",
                       providers: [.apt(["libedit-dev"])]),
        .systemLibrary(name: "CZlib", providers: [.apt(["zlib1g-dev"])]),

        // The ranks of a run and their collectives (sum, gather, barrier, failures):
        // one process by default; the MPI implementation is ClusterMPI's.
        .target(name: "Cluster"),
        // Open MPI's communicator over CMPI, linked by the executable only.
        .target(name: "ClusterMPI", dependencies: ["Cluster", "CMPI"]),
        // Atomic file writes (temp + fsync + rename), used by every layer that writes files
        // (under MPI only rank 0 writes).
        .target(name: "Files", dependencies: ["Cluster", "Core"]),
        // What the machine can give (available memory), so big work is refused up front.
        .target(name: "Machine"),
        // The shared vocabulary of a run, one of each: Ctrl-C's cancellation flag,
        // the progress event, the seeded random generator (its named streams).
        .target(name: "Core", swiftSettings: fast),

        // Engine: tensors, kernels, autograd, optimizers. Knows nothing of models.
        .target(name: "Tensor", dependencies: ["CBLAS", "Core"], swiftSettings: fast),
        // Data sets, loaders, transforms, batches.
        .target(name: "Data", dependencies: ["CZlib", "Machine", "Core"], swiftSettings: fast),
        // Text: BERT's WordPiece tokenizer (vocab.txt + tokenizer_config.json).
        .target(name: "Text", swiftSettings: fast),
        // Metrics on probabilities and logits (temperature scaling): pure functions, no imports.
        .target(name: "Uncertainty", swiftSettings: fast),
        // Models, LoRA adapters, ensembles, training (validation metrics per epoch), checkpoints.
        .target(name: "NN", dependencies: ["Core", "Tensor", "Data", "Text", "Files", "Machine", "Uncertainty", "Cluster"], swiftSettings: fast),
        // Terminal tables, heatmaps, progress lines; SVG figures.
        .target(name: "Render", dependencies: ["Core", "Files"]),
        // The lora language: lexer, parser, interpreter, builtins.
        .target(name: "Lang", dependencies: ["Core", "Tensor", "Data", "Text", "NN", "Uncertainty", "Render", "Files", "Machine", "Cluster"]),
        // Markdown notebooks: run ```lora cells, check outputs, export .ipynb.
        .target(name: "Notebook", dependencies: ["Core", "Lang", "Render", "Files"]),
        // The Jupyter kernel: a session answering Jupyter's requests (`lora kernel serve`),
        // and the kernel spec with its ipykernel wrapper (lora_kernel.py, embedded).
        .target(name: "Kernel", dependencies: ["Core", "Lang", "Render", "Files"], resources: [.embedInCode("lora_kernel.py")]),
        // The executable: REPL on libedit, script runner, subcommands.
        .executableTarget(name: "lora", dependencies: [
            "Core", "Lang", "Render", "Notebook", "Kernel", "CEditLine", "Files", "Tensor", "Cluster", "ClusterMPI",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        // Benchmarks against the peer (PyTorch) live in scripts/bench; this is the
        // Swift side they time.
        .executableTarget(name: "lora-bench", dependencies: ["Core", "Tensor", "NN", "Data", "Uncertainty"],
                          path: "Sources/Bench", swiftSettings: fast),

        .testTarget(name: "CoreTests", dependencies: ["Core"]),
        .testTarget(name: "TensorTests", dependencies: ["Tensor", "Core"], resources: [.copy("Fixtures")]),
        .testTarget(name: "DataTests", dependencies: ["Data", "Core"]),
        .testTarget(name: "TextTests", dependencies: ["Text"], resources: [.copy("Fixtures")]),
        .testTarget(name: "NNTests", dependencies: ["Core", "NN", "Tensor", "Data", "Files", "Uncertainty"], resources: [.copy("Fixtures")]),
        .testTarget(name: "UncertaintyTests", dependencies: ["Uncertainty"], resources: [.copy("Fixtures")]),
        .testTarget(name: "FilesTests", dependencies: ["Files", "Core"]),
        .testTarget(name: "ClusterTests", dependencies: ["Cluster"]),
        .testTarget(name: "MachineTests", dependencies: ["Machine"]),
        .testTarget(name: "RenderTests", dependencies: ["Render", "Core", "Files"]),
        .testTarget(name: "LangTests", dependencies: ["Lang", "Core", "Render"]),
        .testTarget(name: "NotebookTests", dependencies: ["Notebook", "Lang", "Core", "Files"]),
        .testTarget(name: "KernelTests", dependencies: ["Kernel", "Lang", "Core"]),
        .testTarget(name: "CLITests", dependencies: []),
    ],
    swiftLanguageModes: [.v6]
)
