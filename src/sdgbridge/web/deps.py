"""Dependency aliases: the engine and the settings stored on the app by ``create_app``."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Engine

from sdgbridge.config import Settings


def get_engine(request: Request) -> Engine:
    """The store's engine."""
    return request.app.state.engine


def get_settings(request: Request) -> Settings:
    """The settings the app was built with."""
    return request.app.state.settings


EngineDep = Annotated[Engine, Depends(get_engine)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
