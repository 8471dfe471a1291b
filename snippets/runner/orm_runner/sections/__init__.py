"""The section kinds, by the name used in a request's ``kind``.

To add one, write a module like ``django_orm`` with a class following ``SectionKind``
and list it here (and in the preprocessor's ``SectionKind``).
"""

from orm_runner.sections.base import SectionContext, SectionKind
from orm_runner.sections.django_orm import DjangoSection
from orm_runner.sections.peewee_orm import PeeweeSection
from orm_runner.sections.sqlalchemy_async import SQLAlchemyAsyncSection
from orm_runner.sections.sqlalchemy_orm import SQLAlchemySection
from orm_runner.sections.sqlmodel_orm import SQLModelSection
from orm_runner.sections.tortoise_orm import TortoiseSection

KINDS: dict[str, SectionKind] = {
    kind.name: kind
    for kind in (
        DjangoSection(),
        SQLAlchemySection(),
        SQLAlchemyAsyncSection(),
        SQLModelSection(),
        PeeweeSection(),
        TortoiseSection(),
    )
}

__all__ = ["KINDS", "SectionContext", "SectionKind"]
