import Cluster

/// How the ranks of an MPI run (`mpirun -np N lora FILE.lora`) share a fit.
/// In one process every choice trains the same way.
public enum Parallelism: String, CaseIterable, Sendable {
    /// Members when the model's members train independently and there are at
    /// least as many members as ranks; data otherwise.
    case automatic
    /// Every rank trains its share of the members (M/N) on every batch; no
    /// gradient is exchanged. Results equal one process bit for bit.
    case members
    /// Every rank computes its share of every batch; the trainable gradients
    /// are summed over the ranks in one buffer per step.
    case data

    /// The mode a fit of a model with `members` members uses on `ranks` ranks.
    /// `independent`: whether its members train independently (LoRA-Ensemble,
    /// explicit ensemble), so they can be split.
    func resolved(members: Int, ranks: Int, independent: Bool, kind: String) throws -> Parallelism {
        switch self {
        case .automatic:
            return independent && members >= ranks && members > 1 ? .members : .data
        case .data:
            return .data
        case .members:
            guard ranks == 1 || independent else {
                throw NNError.invalidConfiguration("parallel: \"members\" splits members that train independently (LoRA-Ensemble, explicit ensemble), but the members of a \(kind) share trained weights; use parallel: \"data\"")
            }
            guard members >= ranks else {
                throw NNError.invalidConfiguration("parallel: \"members\" gives every rank at least one member, but \(members) member\(members == 1 ? "" : "s") cannot fill \(ranks) ranks; use parallel: \"data\" or start at most \(members) ranks (mpirun -np \(members))")
            }
            return .members
        }
    }
}
