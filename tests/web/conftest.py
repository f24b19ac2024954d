"""Page tests may use the collections fixtures (`world`: collections over in-memory ports, seeded)."""

from tests.collections.conftest import world  # noqa: F401 (a fixture, found by name)
from tests.web.analytics_seed import analytics_demo  # noqa: F401 (one demo book for the analytics pages)
from tests.web.test_browser import page, server  # noqa: F401 (the browser and a live server, for every browser test)
