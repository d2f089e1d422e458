"""The --update-golden option: the only way the regression baseline is ever rewritten."""

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="rewrite tests/regression/golden/baseline.json from this run's golden-set "
        "predictions (after an intended model change); without it the baseline is only read",
    )


@pytest.fixture(scope="session")
def update_golden(request: pytest.FixtureRequest) -> bool:
    """True only when --update-golden was given."""
    return request.config.getoption("--update-golden")
