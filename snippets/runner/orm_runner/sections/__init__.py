"""The section kinds, by the name used in a request's ``kind``.

To add one (``sqlalchemy-core``, ``sqlmodel``, ``peewee``...), write a module like
``django_orm`` with a class following ``SectionKind`` and list it here.
"""

from orm_runner.sections.base import SectionContext, SectionKind
from orm_runner.sections.django_orm import DjangoSection
from orm_runner.sections.sqlalchemy_async import SQLAlchemyAsyncSection
from orm_runner.sections.sqlalchemy_orm import SQLAlchemySection

KINDS: dict[str, SectionKind] = {
    kind.name: kind for kind in (DjangoSection(), SQLAlchemySection(), SQLAlchemyAsyncSection())
}

__all__ = ["KINDS", "SectionContext", "SectionKind"]
