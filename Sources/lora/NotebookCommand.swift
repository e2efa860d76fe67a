import ArgumentParser
import Foundation
import Lang
import Notebook

/// `lora notebook run FILE.md [-o DIR]` and `lora notebook check FILE.md`.
struct NotebookCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lora notebook",
        abstract: "Run and check markdown notebooks: ```lora cells with ```output blocks.",
        discussion: """
        A notebook is a markdown file. Its ```lora cells run in order in one session, as if typed \
        at the REPL (bare expressions echo). The ```output block right after a cell holds what it printed. \
        Cell options after `lora`: `error` (the cell must fail; its diagnostic is the output), \
        `skip-check` (output not compared). Output is plain text, 80 columns, one progress line per \
        epoch; `check` masks timings and throughput. See tutorials/README.md. \
        The .ipynb exports name the Jupyter kernel "lora" (`lora kernel install --user`).
        """,
        subcommands: [Run.self, Check.self, Export.self, Compare.self])

    /// Runs the notebooks one after another with Ctrl-C installed, stopping
    /// after one that Ctrl-C stopped; the worst exit status.
    static func runEach(_ files: [String], _ body: (String) -> Int32) -> Int32 {
        Interrupt.install(interactive: false)
        var worst: Int32 = 0
        for file in files {
            let status = body(file)
            worst = max(worst, status)
            if status == Interrupt.exitStatus { break }
        }
        return worst
    }

    struct Run: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run every cell; write FILE.md with fresh output blocks, and FILE.ipynb.",
            discussion: "Without -o the notebook is updated in place and FILE.ipynb is written beside it.")

        @Argument(help: "The markdown notebooks.")
        var files: [String]

        @Option(name: [.customShort("o"), .long], help: "Write FILE.md and FILE.ipynb into this directory instead (created if missing).")
        var output: String?

        @Option(help: "Global seed.")
        var seed: UInt64 = 0

        func run() throws {
            throw ExitCode(NotebookCommand.runEach(files) { file in
                NotebookCommands.run(path: file, outputDirectory: output, seed: seed, cancellation: Interrupt.flag,
                                     output: Output.standard, error: Output.error)
            })
        }
    }

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run every cell and compare its output with its ```output block; exit 1 on any difference.")

        @Argument(help: "The markdown notebooks.")
        var files: [String]

        @Option(help: "Global seed.")
        var seed: UInt64 = 0

        func run() throws {
            throw ExitCode(NotebookCommand.runEach(files) { file in
                NotebookCommands.check(path: file, seed: seed, cancellation: Interrupt.flag,
                                       output: Output.standard, error: Output.error)
            })
        }
    }

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write FILE.ipynb without running: each cell carries its ```output block.",
            discussion: "The notebook names the Jupyter kernel \"lora\"; run it in Jupyter after `lora kernel install --user`.")

        @Argument(help: "The markdown notebooks.")
        var files: [String]

        @Option(name: [.customShort("o"), .long], help: "Write FILE.ipynb into this directory instead (created if missing).")
        var output: String?

        func run() throws {
            var worst: Int32 = 0
            for file in files {
                worst = max(worst, NotebookCommands.export(path: file, outputDirectory: output, output: Output.standard, error: Output.error))
            }
            throw ExitCode(worst)
        }
    }

    struct Compare: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Compare the outputs of a notebook Jupyter executed with FILE.md's ```output blocks; exit 1 on any difference.",
            discussion: """
            For example: lora notebook export FILE.md -o out; jupyter nbconvert --to notebook --execute \
            --output done.ipynb out/FILE.ipynb; lora notebook compare FILE.md out/done.ipynb. \
            Compared as `check` compares (timings masked), and positions in diagnostics masked: \
            Jupyter names the cell (In[5]:1:8) where the markdown names its file and line.
            """)

        @Argument(help: "The markdown notebook.")
        var file: String

        @Argument(help: "The .ipynb Jupyter executed.")
        var executed: String

        func run() throws {
            throw ExitCode(NotebookCommands.compare(path: file, executed: executed, output: Output.standard, error: Output.error))
        }
    }
}
