"""Knowledge base: documents, search across languages, SDG tagging (issue 5).

The library API (the CLI ``sdgbridge docs …`` and the web call the same functions)::

    add_document(engine, Path("plan.pdf"), kind="plan", countries=("KAZ",)) -> DocumentReport
    add_document(engine, "A text typed in …", title="…")                     -> DocumentReport
    search(engine, "водоснабжение в сельской местности", filters=SearchFilters(goals=(6,)))
    more_like_this(engine, doc_id)                                           -> list[SearchHit]
    tag_document(engine, doc_id); correct_tag(engine, doc_id, "6.1", "set")
    align_plan(Path("plan.pdf"), engine=engine)                              -> Alignment
    index_projects(engine)                                                   -> ProjectIndexReport

Each takes ``embedder=`` (an ``Embedder``; default ``get_embedder("auto")``).
"""

from sdgbridge.knowledge.align import Alignment, align_plan
from sdgbridge.knowledge.search import (
    SearchFilters,
    SearchHit,
    list_documents,
    more_like_this,
    search,
    show_document,
)
from sdgbridge.knowledge.service import (
    DocumentInput,
    DocumentReport,
    ProjectIndexReport,
    add_document,
    add_documents,
    correct_tag,
    index_projects,
    remove_document,
    tag_document,
)

__all__ = ["Alignment", "DocumentInput", "DocumentReport", "ProjectIndexReport",
           "SearchFilters", "SearchHit", "add_document", "add_documents", "align_plan",
           "correct_tag", "index_projects", "list_documents", "more_like_this",
           "remove_document", "search", "show_document", "tag_document"]
