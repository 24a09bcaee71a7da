"""Dependencies every router shares: the one Knowledge object the app was built with."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from kb.service import Knowledge


def get_knowledge(request: Request) -> Knowledge:
    return request.app.state.knowledge


KnowledgeDep = Annotated[Knowledge, Depends(get_knowledge)]
