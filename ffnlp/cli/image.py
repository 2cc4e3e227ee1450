"""``ffnlp image train|predict``: the course's L-layer network on cat vs non-cat, or digits by default."""
from __future__ import annotations

import sys

import numpy as np

from ffnlp.cli import (DefaultsHelpFormatter, add_balance_shares, add_device, check_outputs, config_error, device_ops,
                       emit_json, emit_metrics)
from ffnlp.config import IMAGE_OPTIONS, ImageConfig
from ffnlp.options import PRESET


def _sizes(config) -> str:
    return ",".join(map(str, config.hidden_layer_sizes))


def add_parser(sub):
    p = sub.add_parser("image", help="the L-layer image classifier (cat vs non-cat, digits)")
    verbs = p.add_subparsers(dest="verb", metavar="{train,predict}")
    verbs.required = True
    cat, dig = ImageConfig.preset("catvnoncat"), ImageConfig.preset("digits")

    t = verbs.add_parser("train", help="train and report cost curve and accuracies (on scikit-learn's digits "
                                       "unless --data names the cat vs non-cat folder)",
                         formatter_class=DefaultsHelpFormatter,
                         description="Defaults depend on the data: with --data, the course's run (hidden "
                                     f"{_sizes(cat)}, gd, learning rate {cat.learning_rate_init}, {cat.max_iter} "
                                     "iterations, course init, float64); without it, scikit-learn's digits (hidden "
                                     f"{_sizes(dig)}, adam, learning rate {dig.learning_rate_init}, {dig.max_iter} "
                                     f"epochs of batch {dig.batch_size}, float32).")
    t.add_argument("--data", default=None, help="folder with train_catvnoncat.h5/test_catvnoncat.h5 "
                                                "(default: scikit-learn's bundled digits)")
    # every option of the network and its training, from the table (ffnlp.config.IMAGE_OPTIONS); left out: the
    # preset's (dtype: float64 for the course's initialization, else float32)
    IMAGE_OPTIONS.add_arguments(t, defaults=PRESET)
    t.add_argument("--output", default=None, help="save the trained model to this .npz file")
    t.add_argument("--plot", default=None, metavar="FILE.png",
                   help="draw the cost curve and the train/test accuracy to this PNG file")
    t.add_argument("--json", action="store_true", help="print the metrics as one JSON object on the last line")
    add_device(t)
    add_balance_shares(t)
    t.set_defaults(func=cmd_train)

    pr = verbs.add_parser("predict", help="predict labels of a .npy array of images or flattened rows")
    pr.add_argument("model", help="model file from 'ffnlp image train --output'")
    pr.add_argument("input", help=".npy file: (n, n_features) in [0, 1] or (n, h, w, c) uint8")
    pr.add_argument("--prob", action="store_true", help="print class probabilities too")
    add_device(pr)
    pr.set_defaults(func=cmd_predict)


def build_config(args) -> ImageConfig:
    """The preset of the data (digits, or the course's run with ``--data``), then the flags given; an error
    names the flag typed."""
    base = ImageConfig.preset("digits" if args.data is None else "catvnoncat")
    changes = IMAGE_OPTIONS.values_from_args(args)
    init = changes.get("init", base.init)
    changes.setdefault("dtype", "float64" if init.startswith("course") else "float32")
    try:
        return base.replace(**changes)
    except ValueError as exc:
        raise config_error(exc, IMAGE_OPTIONS.flags(args)) from None


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
    step = "cost_after_iteration" if config.solver == "gd" else "cost_epoch"
    if not args.json:
        for it, c in result.costs.items():
            print(f"{step}_{it}\t{c:.6f}")
    emit_metrics({"train_accuracy": m["train_accuracy"], "test_accuracy": m["test_accuracy"],
                  "seconds": m["seconds"]} if not args.json else {})
    if args.plot:
        hidden = ",".join(map(str, config.hidden_layer_sizes))
        plot_image_training(result.costs, args.plot, train_accuracy=m["train_accuracy"],
                            test_accuracy=m["test_accuracy"], xlabel="iteration" if config.solver == "gd" else "epoch",
                            title=f"{data.name}: layers {hidden}, {config.solver}, learning rate {config.learning_rate_init}")
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
