// lora: the REPL, the script runner and (later) the notebook subcommands.
import Foundation
Lora.main()
