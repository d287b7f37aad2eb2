"""The app's routers, one per user task; `web.app.create_app` includes them in this order."""

from web.routes import (
    api,
    auth,
    emerging_pages,
    exports,
    homes,
    indicator_admin,
    language,
    municipality_pages,
    observations,
    phenomena_pages,
    region_pages,
    review,
)

ROUTERS = (
    auth.router,
    language.router,
    homes.router,
    observations.router,
    region_pages.router,
    municipality_pages.router,
    phenomena_pages.router,
    review.router,
    emerging_pages.router,
    api.router,
    exports.router,
    indicator_admin.router,
)
