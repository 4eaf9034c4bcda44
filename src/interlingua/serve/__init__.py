"""The serve stage: the HTTP API and the web page, over the same specs as the CLI.

``create_app(Settings(...))`` is a FastAPI app (``uvicorn`` runs it; ``interlingua serve`` does
both). It speaks text-embeddings-inference's ``/embed`` and OpenAI's ``/v1/embeddings``, serves
collections (add, search, check), runs mining and alignment as background jobs, and answers
every error as JSON ``{error, message, field}``. Needs ``fastapi`` and ``uvicorn`` (core
dependencies). Holds no logic of its own: each route calls one library function.
"""

from ._app import create_app, serve
from ._settings import Settings

__all__ = ["Settings", "create_app", "serve"]
