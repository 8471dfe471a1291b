"""env.py of the migrations chapter's Alembic projects.

It follows Alembic's recipe for sharing a connection: the code that calls
``alembic.command`` puts the connection and the models' MetaData in
``Config.attributes``.
"""

from alembic import context

config = context.config
target_metadata = config.attributes["target_metadata"]


def include_name(name: str | None, type_: str, parent_names: dict[str, str | None]) -> bool:
    # The database also holds the demo's tables, which this project does not own.
    return type_ != "table" or name in target_metadata.tables


if context.is_offline_mode():
    context.configure(dialect_name="sqlite", target_metadata=target_metadata, literal_binds=True)
else:
    context.configure(
        connection=config.attributes["connection"],
        target_metadata=target_metadata,
        include_name=include_name,
    )

with context.begin_transaction():
    context.run_migrations()
