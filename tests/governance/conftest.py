"""Makes the governance fixtures available to every test in this folder."""

from gov_fixtures import fake_opa, library

__all__ = ["fake_opa", "library"]
