"""Front Door Audit: the Flask application (the only room that knows HTTP and SQL)."""

import logging
from pathlib import Path

from flask import Flask
from jinja2 import ChoiceLoader, FileSystemLoader, PackageLoader, PrefixLoader

from .config import load_config
from .db import close_session, make_engine
from .extensions import csrf

__all__ = ["create_app"]

ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app: configuration, database engine, extensions, blueprints, guards."""
    config = load_config(test_config)
    app = Flask(
        __name__,
        instance_path=str(ROOT / "instance"),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.config.from_mapping(config)
    app.jinja_loader = ChoiceLoader(
        [
            FileSystemLoader(str(ROOT / "templates")),
            PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")}),
        ]
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    if app.config["DATABASE_URL"].startswith("sqlite:///"):
        Path(app.config["DATABASE_URL"].removeprefix("sqlite:///")).parent.mkdir(
            parents=True, exist_ok=True
        )
    app.extensions["frontdoor_engine"] = make_engine(app.config["DATABASE_URL"])
    app.teardown_appcontext(close_session)
    csrf.init_app(app)
    logging.getLogger("audit_app").setLevel(logging.INFO)

    from . import admin, audits, auth, cases, home, reports, web
    from .imports import views as imports
    from .permissions import ROLE_LABELS

    web.install(app)
    app.jinja_env.filters["role_label"] = lambda role: ROLE_LABELS.get(role, role)
    for blueprint in (auth.bp, home.bp, admin.bp, imports.bp, cases.bp, audits.bp, reports.bp):
        app.register_blueprint(blueprint)
    from .cli import register_commands

    register_commands(app)
    return app
