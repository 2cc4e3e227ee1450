"""``ffnlp image train|predict``: the course's L-layer network on cat vs non-cat, or digits by default."""
from __future__ import annotations

import argparse
import sys

import numpy as np

from ffnlp.cli import DefaultsHelpFormatter, add_device, check_outputs, config_error, device_ops, emit_json, emit_metrics
from ffnlp.config import IMAGE_ACTIVATIONS, IMAGE_INITS, ImageConfig

#: ImageConfig field -> the ``image train`` flag that sets it (error messages name the flag).
_FLAGS = {"hidden": "--layers", "activation": "--activation", "learning_rate": "--learning-rate",
          "iterations": "--iterations", "optimizer": "--optimizer", "batch_size": "--batch-size",
          "momentum": "--momentum", "lr_decay": "--lr-decay", "weight_decay": "--weight-decay",
          "dropout": "--dropout", "init": "--init", "seed": "--seed", "log_every": "--log-every",
          "dtype": "--dtype"}


def _layers(text):
    try:
        sizes = tuple(int(t) for t in text.split(",") if t.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"--layers must be comma-separated positive integers, got {text!r}")
    if not sizes or any(s <= 0 for s in sizes):
        raise argparse.ArgumentTypeError(f"--layers must be comma-separated positive integers, got {text!r}")
    return sizes


def add_parser(sub):
    p = sub.add_parser("image", help="the L-layer image classifier (cat vs non-cat, digits)")
    verbs = p.add_subparsers(dest="verb", metavar="{train,predict}")
    verbs.required = True
    cat, dig = ImageConfig.preset("catvnoncat"), ImageConfig.preset("digits")

    t = verbs.add_parser("train", help="train and report cost curve and accuracies (on scikit-learn's digits "
                                       "unless --data names the cat vs non-cat folder)",
                         formatter_class=DefaultsHelpFormatter,
                         description="Defaults depend on the data: with --data, the course's run "
                                     f"(layers {','.join(map(str, cat.hidden))}, gd, lr {cat.learning_rate}, "
                                     f"{cat.iterations} iterations, course init, float64); without it, "
                                     f"scikit-learn's digits (layers {','.join(map(str, dig.hidden))}, adam, lr "
                                     f"{dig.learning_rate}, {dig.iterations} epochs of batch {dig.batch_size}, float32).")
    t.add_argument("--data", default=None, help="folder with train_catvnoncat.h5/test_catvnoncat.h5 "
                                                "(default: scikit-learn's bundled digits)")
    t.add_argument("--layers", type=_layers, default=None, help="hidden layer sizes, e.g. 20,7,5 (default: preset)")
    t.add_argument("--activation", default=None,
                   choices=IMAGE_ACTIVATIONS, help="hidden activation")
    t.add_argument("--learning-rate", type=float, default=None, help="learning rate (default: preset)")
    t.add_argument("--iterations", type=int, default=None, help="iterations (gd) or epochs (default: preset)")
    t.add_argument("--optimizer", choices=["gd", "sgd", "adam"], default=None,
                   help="gd = full-batch gradient descent (default: preset)")
    t.add_argument("--batch-size", type=int, default=None, help="minibatch size for sgd/adam (default: preset)")
    t.add_argument("--momentum", type=float, default=None, help="sgd momentum")
    t.add_argument("--lr-decay", type=float, default=None, help="lr / (1 + decay * t)")
    t.add_argument("--weight-decay", type=float, default=None, help="L2 penalty on weights")
    t.add_argument("--dropout", type=float, default=None, help="dropout rate after hidden layers")
    t.add_argument("--init", default=None, choices=IMAGE_INITS, metavar="{" + ",".join(IMAGE_INITS) + "}",
                   help="weight initialization; course is the course's: randn*0.01 for one hidden layer, "
                        "randn/sqrt(n_in) deeper (default: preset: course with --data, he for digits)")
    t.add_argument("--dtype", choices=["float32", "float64"], default=None,
                   help="default: float64 for course init (its published numbers are float64), else float32")
    t.add_argument("--seed", type=int, default=None, help="seed of the weights (course: 1)")
    t.add_argument("--log-every", type=int, default=None,
                   help="record/print the cost every N steps: after iterations 0, N, 2N, ... for gd (the course's "
                        "numbering), epochs 1, N, 2N, ... for sgd/adam (as the progress lines)")
    t.add_argument("--output", default=None, help="save the trained model to this .npz file")
    t.add_argument("--plot", default=None, metavar="FILE.png",
                   help="draw the cost curve and the train/test accuracy to this PNG file")
    t.add_argument("--json", action="store_true", help="print the metrics as one JSON object on the last line")
    add_device(t)
    t.set_defaults(func=cmd_train)

    pr = verbs.add_parser("predict", help="predict labels of a .npy array of images or flattened rows")
    pr.add_argument("model", help="model file from 'ffnlp image train --output'")
    pr.add_argument("input", help=".npy file: (n, n_features) in [0, 1] or (n, h, w, c) uint8")
    pr.add_argument("--prob", action="store_true", help="print class probabilities too")
    add_device(pr)
    pr.set_defaults(func=cmd_predict)


def build_config(args) -> ImageConfig:
    base = ImageConfig.preset("digits" if args.data is None else "catvnoncat")
    changes = {k: v for k, v in {
        "hidden": args.layers, "activation": args.activation, "learning_rate": args.learning_rate,
        "iterations": args.iterations, "optimizer": args.optimizer, "batch_size": args.batch_size,
        "momentum": args.momentum, "lr_decay": args.lr_decay, "weight_decay": args.weight_decay,
        "dropout": args.dropout, "init": args.init, "seed": args.seed, "log_every": args.log_every,
    }.items() if v is not None}
    init = changes.get("init", base.init)
    dtype = args.dtype or ("float64" if init.startswith("course") else "float32")
    try:
        return base.replace(**changes, dtype=dtype)
    except ValueError as exc:
        raise config_error(exc, _FLAGS) from None


def cmd_train(args):
    import logging

    from ffnlp.plot import check_plot_path, plot_image_training
    from ffnlp.tasks.image import load_image_data, save_image_model, train_image

    config = build_config(args)
    ops = device_ops(args)
    check_outputs(args, {"output": "--output", "plot": "--plot"})
    if args.plot:
        check_plot_path(args.plot)
    data = load_image_data(args.data)
    log = logging.getLogger("ffnlp.cli")
    if args.data is None:
        log.info("training on scikit-learn's digits (%d train / %d test images, 10 classes); "
                 "--data FOLDER trains on cat vs non-cat", len(data.y_train), len(data.y_test))
    else:
        log.info("training on %s (%d train / %d test images)", data.name, len(data.y_train), len(data.y_test))
    result = train_image(data, config, verbose=log.isEnabledFor(logging.INFO), device=ops)
    m = result.metrics()
    step = "cost_after_iteration" if config.optimizer == "gd" else "cost_epoch"
    if not args.json:
        for it, c in result.costs.items():
            print(f"{step}_{it}\t{c:.6f}")
    emit_metrics({"train_accuracy": m["train_accuracy"], "test_accuracy": m["test_accuracy"],
                  "seconds": m["seconds"]} if not args.json else {})
    if args.plot:
        hidden = ",".join(map(str, config.hidden))
        plot_image_training(result.costs, args.plot, train_accuracy=m["train_accuracy"],
                            test_accuracy=m["test_accuracy"], xlabel="iteration" if config.optimizer == "gd" else "epoch",
                            title=f"{data.name}: layers {hidden}, {config.optimizer}, learning rate {config.learning_rate}")
    if args.output:
        save_image_model(args.output, result)
    if args.json:
        emit_json(m)


def cmd_predict(args):
    from ffnlp.errors import DataError
    from ffnlp.tasks.image import load_image_model

    clf = load_image_model(args.model, device=device_ops(args))
    try:
        X = np.load(args.input, allow_pickle=False)
    except IsADirectoryError:
        raise DataError("is a folder; expected a .npy file", path=args.input) from None
    except FileNotFoundError:
        raise DataError("no such file", path=args.input) from None
    except OSError as exc:
        raise DataError(f"cannot read a .npy array ({exc.strerror or exc})", path=args.input) from None
    except ValueError as exc:
        detail = "it holds Python objects, which are never unpickled" if "pickle" in str(exc).lower() else str(exc)
        raise DataError(f"not a numeric .npy array ({detail})", path=args.input) from None
    if not isinstance(X, np.ndarray):
        X.close()
        raise DataError("is an .npz archive; expected one .npy array (np.save)", path=args.input)
    if not (np.issubdtype(X.dtype, np.number) or X.dtype == bool):
        raise DataError(f"array of dtype {X.dtype}; expected numbers (pixels in [0, 1] or uint8)", path=args.input)
    if X.ndim >= 1 and X.shape[0] == 0:
        raise DataError(f"array of shape {X.shape} holds no images", path=args.input)
    if X.ndim == 4:
        X = X.reshape(X.shape[0], -1) / 255.0
    if X.ndim != 2 or X.shape[1] != clf.n_features_in_:
        raise DataError(f"array of shape {X.shape} does not fit a model of {clf.n_features_in_} features",
                        path=args.input)
    if not np.isfinite(X).all():
        raise DataError("NaN or inf in the input", path=args.input)
    names = getattr(clf, "class_names_", None)
    pred = clf.predict(X)
    P = clf.predict_proba(X) if args.prob else None
    for i, label in enumerate(pred):
        name = names[int(label)] if names and 0 <= int(label) < len(names) else str(label)
        line = name if P is None else name + "\t" + " ".join(f"{p:.4f}" for p in P[i])
        sys.stdout.write(line + "\n")
