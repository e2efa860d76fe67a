import Cluster
import ClusterMPI
import Foundation
import Lang

/// lora under `mpirun -np N`: MPI starts before anything else, ranks other
/// than 0 print nothing (rank 0 shows every rank's error), and every rank
/// ends a script together with the others.
enum Ranks {
    /// Starts MPI when an MPI launcher started this process (otherwise lora
    /// is one process and nothing here applies). Exits when MPI cannot start.
    static func start() {
        do {
            guard let mpi = try MPICommunicator.startIfLaunched() else { return }
            Cluster.world = mpi
            if mpi.rank != 0 { silence() }
        } catch {
            FileHandle.standardError.write(Data("lora: \(error)\n".utf8))
            exit(1)
        }
    }

    static var isParallel: Bool { Cluster.world.size > 1 }

    /// What runs under mpirun with more than one rank: scripts (FILE or -e).
    static func refuse(_ what: String) -> Int32 {
        if Cluster.world.rank == 0 {
            FileHandle.standardError.write(Data("error: \(what) runs in one process; under mpirun lora runs scripts: mpirun -np N lora FILE.lora (or -e 'code')\n".utf8))
        }
        _ = Cluster.world.reportFailure("\(what) under mpirun")
        return 1
    }

    /// Every rank's end of a script that ran to its end: waits for the other
    /// ranks and shows (on rank 0) any that failed after this one's last collective.
    static func finished() -> Int32 {
        let failures = Cluster.world.finish()
        show(failures)
        return failures.isEmpty ? 0 : 1
    }

    /// Whether another rank's failure stopped this rank in a collective; then
    /// rank 0 shows that rank's error.
    static func stoppedByOtherRank() -> Bool {
        let failures = Cluster.world.failures
        guard !failures.isEmpty else { return false }
        show(failures)
        return true
    }

    /// This rank failed with the error `formatted` (which it printed if it is
    /// rank 0): the other ranks stop at their next collective; rank 0 shows
    /// other ranks that failed in the same round with a different error.
    static func share(_ formatted: String) {
        let world = Cluster.world
        show(world.reportFailure(formatted).filter { $0.rank != world.rank && $0.message != formatted })
    }

    /// Rank 0 prints other ranks' failures with their diagnostics.
    static func show(_ failures: [RankFailure]) {
        for f in failures {
            var text = "error: rank \(f.rank) of \(Cluster.world.size) failed:\n\(f.message)"
            if !text.hasSuffix("\n") { text += "\n" }
            Output.error(text)
        }
    }

    private static func silence() {
        let fd = open("/dev/null", O_WRONLY)
        guard fd >= 0 else { return }
        dup2(fd, STDOUT_FILENO)
        dup2(fd, STDERR_FILENO)
        close(fd)
    }
}
