"""The interface between the engine and a competition: a package `common/<name>/` whose module
`competition.py` provides

    Config                          the competition's base config (a subclass of common.config.Config)
    MODEL_KEYS                      config keys a checkpoint must share with the config that evaluates it
    SAMPLE_SHAPE                    the shape of one sample as the loader gives it
    PACK_DTYPE                      numpy dtype of a packed sample (python -m common.pack)
    load_sample(cfg, path)          one sample file as the loader gives it before augmentation: a checked
                                    float32 array of SAMPLE_SHAPE (what a pack stores)
    read_train(cfg) -> DataFrame    id, target, path, fold (stratified, reproducible for n_folds and seed)
    read_test(cfg) -> DataFrame     id, path, in sample_submission.csv's order
    make_dataset(cfg, df, train)    a torch Dataset of (sample, target): what the loader workers do, reading
                                    files, or rows of the pack when common.pack.packed_rows(cfg, df) gives
                                    them (and, when train, only augmentations that need the CPU, such as
                                    cv2's; augment_batch does the rest on the device)
    fit_front_ends(cfg, df)         what each fold's front end learns from the data (G2Net: a whitening
                                    spectrum): {fold: fitted} for the folds of df (read_train's), each
                                    from the samples outside its fold only; {} when nothing is learnt
                                    (SETI). main.py calls it once per run, before the fold loop, on the
                                    main process (it may cache under cfg.output_dir, never cfg.data_dir,
                                    which may be read-only) and sends the result to the other processes
    make_front_end(cfg, fit, fitted)  an nn.Module turning a batch of samples into the model input on the
                                    device; fitted: one fold's entry of fit_front_ends; else fit=True fits
                                    on all of cfg.data_dir's training samples (benchmarks), fit=False
                                    leaves it to a checkpoint's state_dict
    in_channels(cfg)                channels of the model input
    augment_batch(cfg, x, y, epoch) training augmentation of a batch of samples on the device -> (x, y)
    tta_views(cfg, n)               the first n label-preserving test-time views (SETI: n = 0, its default `tta`,
                                    gives the views consistent with the training augmentations)
    apply_view(x, view)             one view of a batch of samples
    classical_scores(cfg, df)       the competition's classical baseline: a score per sample of df, no
                                    training (python -m common.baseline)
    classical_features(cfg, df)     the classical search's statistics of df's samples, a DataFrame of one
                                    column per statistic in df's order (blend.py --classical; cached by
                                    common.baseline.classical_features)
    classical_settings(cfg)         a JSON-able dict of what those statistics depend on besides the
                                    samples (the cache's fingerprint)

main.py and evaluate.py use nothing else of a competition, and name none.
"""
import importlib
from types import ModuleType


def competition(cfg) -> ModuleType:
    """The interface of cfg.competition (common.seti.competition, common.g2net.competition)."""
    return importlib.import_module(f"common.{cfg.competition}.competition")


def saved_settings(cfg, saved: dict) -> dict:
    """A run's saved config (its config.json or a checkpoint's), with the competition's base defaults for the keys
    it predates: what the code did before those keys existed."""
    return {**competition(cfg).Config().to_dict(), **saved}
