"""What an operation raises when a rule refuses a change."""


class Refused(Exception):
    """A rule refused the change: ``message`` says why and what to do; ``field`` names the form
    field it belongs to, if any. Each feature subclasses it (CaseError, VisitError...)."""

    def __init__(self, message, field=None):
        super().__init__(str(message))
        self.message = message
        self.field = field


class VersionConflict(Exception):
    """The record changed since the user loaded it (or the form carried no version at all)."""


def check_version(record, version):
    """Refuse a change made on a stale (or unknown) version of ``record``."""
    if version is None or str(version) != str(record.version):
        raise VersionConflict()
