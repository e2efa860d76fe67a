import Core
import Data

/// A model kind whose members all live in one network and train together in
/// one batched pass (single network, single + LoRA, LoRA-Ensemble,
/// BatchEnsemble): training, prediction and attention are the network's.
public protocol OneNetworkModel: EnsembleModel {
    /// The one network all members live in.
    var memberNetwork: MemberNetwork { get }
    var history: [EpochRecord] { get set }
}

extension OneNetworkModel {
    @discardableResult
    public func fit(_ data: Dataset, config: TrainConfig, progress: ProgressHandler?, cancel: CancellationFlag?) throws -> FitOutcome {
        let out = try MemberParallel.fit(memberNetwork, kind: kind, data: data, config: config, progress: progress, cancel: cancel)
        history += out.history
        return out
    }

    public func memberOutputs(_ data: Dataset, batchSize: Int, logits: Bool) throws -> MemberPredictions {
        try Evaluation.predict(memberNetwork, data: data, batchSize: batchSize, logits: logits)
    }

    public func attention(_ input: ModelInput) throws -> AttentionMaps {
        try Evaluation.attention(memberNetwork, input: input)
    }
}
