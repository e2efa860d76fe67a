import Core
import Data
import Tensor

/// A model with post-hoc temperature scaling: the same members and the same
/// parameters (shared, not copied) as `base`, whose predictions are every
/// member's softmax(z / T), averaged over members as usual. Fitting T is
/// Uncertainty's `TemperatureScaling.fit` on the base's validation logits.
///
/// Training a calibrated model is refused: it would move the shared
/// parameters away from the ones T was fitted for. Train `base`, then
/// calibrate again.
public final class CalibratedModel: EnsembleModel {
    public let base: EnsembleModel
    public let temperature: Float
    /// Where T was fitted (a data set's name), for the summary.
    public let fittedOn: String

    public init(base: EnsembleModel, temperature: Float, fittedOn: String = "") throws {
        guard temperature.isFinite, temperature > 0 else {
            throw NNError.invalidConfiguration("the temperature must be positive and finite, got \(temperature)")
        }
        // Calibrating a calibrated model replaces its temperature: the base is the uncalibrated one.
        self.base = (base as? CalibratedModel)?.base ?? base
        self.temperature = temperature
        self.fittedOn = fittedOn
    }

    public var kind: EnsembleKind { base.kind }
    public var memberCount: Int { base.memberCount }
    public var architecture: Architecture { base.architecture }
    public var baseBackbone: Backbone { base.baseBackbone }
    public var history: [EpochRecord] { base.history }

    @discardableResult
    public func fit(_ data: Dataset, config: TrainConfig, progress: ProgressHandler?, cancel: CancellationFlag?) throws -> FitOutcome {
        throw NNError.invalidConfiguration("this model is temperature-scaled (T = \(temperature)); training it would change the parameters T was fitted for. Train the model it was calibrated from, then calibrate again")
    }

    /// The base model's logits divided by T (and their softmax, for probabilities).
    public func memberOutputs(_ data: Dataset, batchSize: Int, logits: Bool) throws -> MemberPredictions {
        let z = try base.predictLogits(data, batchSize: batchSize)
        let inv = 1 / temperature
        let scaled = z.values.map { $0 * inv }
        let values = logits ? scaled : Evaluation.softmaxRows(scaled, rows: z.members * z.samples, classes: z.classes)
        return MemberPredictions(members: z.members, samples: z.samples, classes: z.classes, values: values)
    }

    public func attention(_ input: ModelInput) throws -> AttentionMaps { try base.attention(input) }

    public func summary() -> ModelSummary {
        var s = base.summary()
        s.details.append("temperature scaling: T = \(temperature)" + (fittedOn.isEmpty ? "" : ", fitted on \(fittedOn)") + " (every member's logits / T)")
        return s
    }

    public func namedParameters() -> [(name: String, tensor: Tensor)] { base.namedParameters() }
}
