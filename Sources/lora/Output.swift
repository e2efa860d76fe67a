import Foundation
import Lang

/// Writing to stdout and stderr, and reporting errors as diagnostics.
enum Output {
    static func standard(_ text: String) {
        FileHandle.standardOutput.write(text.data(using: .utf8)!)
    }
    static func error(_ text: String) {
        FileHandle.standardError.write(text.data(using: .utf8)!)
    }

    /// Prints an error as `FILE:LINE:COL: error: message`, the line and a caret.
    static func report(_ error: Error) {
        self.error(format(error))
    }

    /// An error as `report` prints it.
    static func format(_ error: Error) -> String {
        if let e = error as? LangError { return Diagnostic.format(e) }
        return "error: \(error)\n"
    }

    /// Columns of the terminal on `fd` (stdout by default), or 80.
    static func terminalWidth(_ fd: Int32 = STDOUT_FILENO) -> Int {
        var size = winsize()
        if ioctl(fd, UInt(TIOCGWINSZ), &size) == 0 && size.ws_col >= 20 { return Int(size.ws_col) }
        return 80
    }
}
