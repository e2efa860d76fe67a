import Core
import Data
import Tensor

/// The kinds of model the project compares.
public enum EnsembleKind: String, CaseIterable {
    case single = "single network"
    case singleLoRA = "single + LoRA"
    case loraEnsemble = "LoRA-Ensemble"
    case explicit = "explicit ensemble"
    case mcDropout = "MC dropout"
    case snapshot = "snapshot ensemble"
    case batchEnsemble = "BatchEnsemble"
}

/// What every model kind offers the front end: training with progress and
/// cancellation, per-member probabilities, per-member attention maps, a summary
/// and checkpoints.
public protocol EnsembleModel: AnyObject {
    var kind: EnsembleKind { get }
    /// Members in the predictions (samples for MC dropout, snapshots for snapshot ensembles).
    var memberCount: Int { get }
    var architecture: Architecture { get }
    /// The backbone the model was built on (the first member's, for explicit ensembles).
    var baseBackbone: Backbone { get }
    /// Per-epoch loss and accuracy of every fit so far (for curves).
    var history: [EpochRecord] { get }

    /// Trains on `data`. Progress after every step; stops cleanly between steps
    /// when `cancel` is set (the model keeps the parameters of the last step).
    /// With `config.validation`, every epoch record holds the validation
    /// metrics of the model as it then is: the whole ensemble for the kinds
    /// trained in one network and for MC dropout (its passes), each member on
    /// its own for explicit ensembles (trained one after another), the
    /// current network for snapshot ensembles.
    @discardableResult
    func fit(_ data: Dataset, config: TrainConfig, progress: ProgressHandler?, cancel: CancellationFlag?) throws -> FitOutcome

    /// Per-member probabilities, or with `logits` the logits (softmax gives the
    /// probabilities; temperature scaling divides them by T), [members, samples, classes].
    /// Callers use `predict` and `predictLogits`.
    func memberOutputs(_ data: Dataset, batchSize: Int, logits: Bool) throws -> MemberPredictions

    /// Attention maps of one sample (an image or a text) for every member, layer and head.
    func attention(_ input: ModelInput) throws -> AttentionMaps

    func summary() -> ModelSummary

    /// Every parameter by name (what a checkpoint holds).
    func namedParameters() -> [(name: String, tensor: Tensor)]
}

extension EnsembleModel {
    /// Per-member probabilities [members, samples, classes].
    public func predict(_ data: Dataset, batchSize: Int = 256) throws -> MemberPredictions {
        try memberOutputs(data, batchSize: batchSize, logits: false)
    }

    /// Per-member logits [members, samples, classes].
    public func predictLogits(_ data: Dataset, batchSize: Int = 256) throws -> MemberPredictions {
        try memberOutputs(data, batchSize: batchSize, logits: true)
    }
    @discardableResult
    public func fit(_ data: Dataset, config: TrainConfig = TrainConfig()) throws -> FitOutcome {
        try fit(data, config: config, progress: nil, cancel: nil)
    }
}

/// Groups a backbone's parameter names into summary parts.
func backbonePart(_ name: String) -> String {
    if name.hasPrefix("head.") { return "head" }
    return "backbone"
}
