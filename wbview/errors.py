"""wbview's exception hierarchy: one type per cause, each message says what to do next.

Sources raise these (never raw wandb or HTTP errors); the command line prints the
message and exits 1 (2 for usage errors); pages show it with ``wbview.ui``.
"""

from __future__ import annotations


class WbviewError(Exception):
    """Base class. ``str(error)`` is a complete, actionable sentence for a person."""

    exit_code = 1


class UsageError(WbviewError):
    """The caller asked for something malformed (a bad filter, a bad path)."""

    exit_code = 2


class BadFilter(UsageError):
    """A run filter could not be parsed; the message names the bad part."""


class BadPath(UsageError):
    """An ENTITY/PROJECT[/NAME:VERSION|/RUN_ID] path is malformed."""


class MissingDependency(WbviewError):
    """An optional package is not installed; the message gives the pip command."""


# --- W&B access -------------------------------------------------------------


class WandbAccessError(WbviewError):
    """Base for failures talking to W&B."""


class NoCredentials(WandbAccessError):
    """No API key found in secrets, the environment or wandb's own login."""


class AuthenticationFailed(WandbAccessError):
    """The API key was rejected (401) or lacks permission (403)."""


class NotFound(WandbAccessError):
    """Base for an entity, project, run, artifact or table that does not exist."""


class EntityNotFound(NotFound):
    pass


class ProjectNotFound(NotFound):
    pass


class RunNotFound(NotFound):
    pass


class ArtifactNotFound(NotFound):
    pass


class TableNotFound(NotFound):
    pass


class RateLimited(WandbAccessError):
    """W&B answered 429 more times than we are willing to wait for."""


class RequestTimeout(WandbAccessError):
    """A call did not finish within its time bound."""


class ServerError(WandbAccessError):
    """W&B answered 5xx."""


class QueryError(WandbAccessError):
    """W&B answered a GraphQL error we do not recognise."""


# --- local data ---------------------------------------------------------------


class BadTable(WbviewError):
    """A table could not be parsed; the message says which part and how to fix it."""


class StoreError(WbviewError):
    """A local store is missing, unreadable, or of an unknown format version."""


class AccessDenied(WbviewError):
    """The deployment's allow-list does not include the project or store a link names."""
