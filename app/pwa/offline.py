"""Which pages a user's phone keeps for offline use."""
from ..scope.permissions import may

# Pages every reporter (worker or rider) needs offline; the app asks the service worker to keep them.
OFFLINE_PAGES = ("/", "/report", "/reports", "/me")


def offline_pages(user):
    """Pages a phone user keeps for offline use: a reporter's, or a party member's (empty for
    the office roles)."""
    if may(user, "volunteer.serve"):
        return ["/", "/serve", "/me"]
    if not may(user, "event.report"):
        return []
    pages = list(OFFLINE_PAGES) + ["/patrol", "/tasks"]
    if may(user, "registry.offline"):
        pages.append("/registry/app")  # residents' data: never on a rider's phone
    if may(user, "duties.own"):
        pages.append("/duties")
    if may(user, "assist.help"):
        pages.append("/assist")
    if may(user, "enterprise.serve"):
        pages.append("/enterprise")
    return pages
