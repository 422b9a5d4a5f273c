"""Trains a logistic-regression classifier on scikit-learn's bundled digits data set."""
import argparse

from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler


def train(c: float, max_iter: int, standardize: bool, seed: int) -> float:
    features, labels = load_digits(return_X_y=True)
    x_train, x_test, y_train, y_test = train_test_split(features, labels, test_size=0.25, random_state=seed)
    steps = [StandardScaler()] if standardize else []
    model = make_pipeline(*steps, LogisticRegression(C=c, max_iter=max_iter))
    model.fit(x_train, y_train)
    return model.score(x_test, y_test)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--C", type=float, default=1.0, help="inverse regularisation strength")
    parser.add_argument("--max-iter", type=int, default=200)
    parser.add_argument("--standardize", action="store_true", help="scale features to zero mean, unit variance")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    accuracy = train(args.C, args.max_iter, args.standardize, args.seed)
    print(f"C={args.C} standardize={args.standardize} test accuracy={accuracy:.4f}")


if __name__ == "__main__":
    main()
