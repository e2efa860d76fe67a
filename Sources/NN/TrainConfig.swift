import Core
import Data
import Tensor

/// How to train. Defaults follow the paper's reference code: AdamW, lr 1e-4,
/// weight decay 0, batch 32, linear warm-up then cosine decay to 0, global-norm
/// clipping at 1.0.
public struct TrainConfig {
    public var epochs: Int
    public var batchSize: Int
    public var learningRate: Float
    /// Linear warm-up steps. nil = the paper's 500, capped at a tenth of the run's
    /// steps (so short runs are not all warm-up).
    public var warmupSteps: Int?
    public var weightDecay: Float
    public var seed: UInt64
    public var shuffle: Bool
    /// Global-norm gradient clipping (nil = off).
    public var clipNorm: Float?
    /// Random flips / rotations / shifts of every training image (Data's augmentation), seeded from `seed`.
    public var augmentation: Augmentation?
    /// Labelled data evaluated after every epoch (loss, accuracy, ECE of the
    /// mean prediction, in evaluation mode), recorded in the history.
    public var validation: Dataset?
    /// Members a LoRA-Ensemble's step runs at once (forward + backward per
    /// group, gradients accumulated, one optimizer step; the same gradients as
    /// all at once). nil = as many as fit in memory (see `MemberGroupPlan`).
    public var membersAtOnce: Int?
    /// How the ranks of an MPI run share the training (ignored in one process).
    public var parallel: Parallelism = .automatic

    public init(epochs: Int = 1, batchSize: Int = 32, learningRate: Float = 1e-4, warmupSteps: Int? = nil,
                weightDecay: Float = 0, seed: UInt64 = 0, shuffle: Bool = true, clipNorm: Float? = 1.0,
                augmentation: Augmentation? = nil) {
        self.epochs = epochs; self.batchSize = batchSize; self.learningRate = learningRate
        self.warmupSteps = warmupSteps; self.weightDecay = weightDecay; self.seed = seed
        self.shuffle = shuffle; self.clipNorm = clipNorm
        self.augmentation = augmentation
    }

    func validate() throws {
        guard epochs >= 1 else { throw NNError.invalidConfiguration("epochs must be at least 1, got \(epochs)") }
        guard batchSize >= 1 else { throw NNError.invalidConfiguration("batch size must be at least 1, got \(batchSize)") }
        guard learningRate.isFinite, learningRate > 0 else { throw NNError.invalidConfiguration("learning rate must be positive and finite, got \(learningRate)") }
        guard weightDecay >= 0 else { throw NNError.invalidConfiguration("weight decay must be >= 0, got \(weightDecay)") }
        if let w = warmupSteps, w < 0 { throw NNError.invalidConfiguration("warm-up steps must be >= 0, got \(w)") }
        if let c = clipNorm, !(c > 0) { throw NNError.invalidConfiguration("clip norm must be positive, got \(c)") }
        if let k = membersAtOnce, k < 1 { throw NNError.invalidConfiguration("members_at_once must be at least 1, got \(k)") }
        try augmentation?.validate()
    }

    /// Warm-up steps actually used for a run of `totalSteps`.
    public func warmup(totalSteps: Int) -> Int { warmupSteps ?? min(500, totalSteps / 10) }
}

/// Loss and accuracy of one epoch, and the validation metrics when the fit had validation data.
public struct EpochRecord: Equatable, Codable {
    public var epoch: Int
    public var member: Int
    public var loss: Float
    public var accuracy: Float
    /// Seconds of training in the epoch (the validation pass not included).
    public var seconds: Double
    public var validation: ValidationMetrics? = nil
}

/// Metrics of the mean prediction on the validation data after one epoch.
public struct ValidationMetrics: Equatable, Codable {
    /// Mean negative log-likelihood of the members' mean probabilities (nats).
    public var loss: Double
    public var accuracy: Double
    /// Expected calibration error, 15 equal-width bins.
    public var expectedCalibrationError: Double
    /// The validation data set's name.
    public var data: String
    /// Seconds the validation pass took.
    public var seconds: Double
}

/// What a fit did.
public struct FitOutcome {
    public var stepsDone: Int
    public var totalSteps: Int
    public var cancelled: Bool
    public var seconds: Double
    public var history: [EpochRecord]
    /// Where a cancelled fit stopped (nil when it ran to the end).
    public var stop: FitStop? = nil
    /// How the members of a LoRA-Ensemble were grouped in each step (nil for
    /// models that run their members in one pass).
    public var memberGroups: MemberGroupPlan? = nil
}

/// Where a cancelled fit stopped: `stepInEpoch` steps of epoch `epoch` (both
/// 0-based counts; the epoch is unfinished unless `stepInEpoch` is 0).
public struct FitStop: Equatable, CustomStringConvertible {
    public var epoch: Int
    public var epochs: Int
    public var stepInEpoch: Int
    public var stepsPerEpoch: Int
    /// For explicit ensembles trained member by member (0-based; count 1 otherwise).
    public var member: Int = 0
    public var memberCount: Int = 1
    /// Stopped in the validation pass after the epoch's last step (`stepInEpoch`
    /// is then `stepsPerEpoch`); the epoch has no record in the history.
    public var duringValidation: Bool = false

    public init(epoch: Int, epochs: Int, stepInEpoch: Int, stepsPerEpoch: Int, member: Int = 0, memberCount: Int = 1,
                duringValidation: Bool = false) {
        self.epoch = epoch; self.epochs = epochs; self.stepInEpoch = stepInEpoch; self.stepsPerEpoch = stepsPerEpoch
        self.member = member; self.memberCount = memberCount; self.duringValidation = duringValidation
    }

    /// "interrupted in epoch 6 of 8 at step 12 of 40", "interrupted after epoch 5 of 8",
    /// "interrupted before the first step", "interrupted in epoch 3 of 8 at step 40 of 40,
    /// during validation"; "... (member 2 of 4)" for explicit ensembles.
    public var description: String {
        let text: String
        if duringValidation {
            text = "interrupted in epoch \(epoch + 1) of \(epochs) at step \(stepInEpoch) of \(stepsPerEpoch), during validation"
        } else if stepInEpoch > 0 {
            text = "interrupted in epoch \(epoch + 1) of \(epochs) at step \(stepInEpoch) of \(stepsPerEpoch)"
        } else if epoch > 0 {
            text = "interrupted after epoch \(epoch) of \(epochs)"
        } else {
            text = "interrupted before the first step"
        }
        return memberCount > 1 ? text + " (member \(member + 1) of \(memberCount))" : text
    }
}
