import argparse
import sys

from codegen.pipeline import check, generate


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m codegen", description=__doc__)
    parser.add_argument(
        "--check",
        action="store_true",
        help="regenerate into a temporary folder and fail on any difference with generated/",
    )
    args = parser.parse_args()
    if args.check:
        differences = check()
        if differences:
            print("generated/ does not match openapi/siliconflow.yaml and codegen/:", file=sys.stderr)
            for line in differences:
                print(f"  {line}", file=sys.stderr)
            print("Run `make generate` (never edit generated/ by hand).", file=sys.stderr)
            return 1
        print("generated/ is up to date.")
        return 0
    for path in generate():
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
