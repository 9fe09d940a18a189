"""People: accounts, memberships, API keys, web sessions, one-time links, the audit trail,
the mail outbox; records' visibility (projects, documents) and documents' organisation.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07 03:00:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'account',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('email', sa.String(length=320), nullable=False),
        sa.Column('name', sa.Text(), nullable=False),
        sa.Column('languages', sa.String(length=64), nullable=False),
        sa.Column('password_hash', sa.Text(), nullable=True),
        sa.Column('administrator', sa.Boolean(), nullable=False),
        sa.Column('disabled', sa.Boolean(), nullable=False),
        sa.Column('failed_sign_ins', sa.Integer(), nullable=False),
        sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('last_sign_in', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_account')),
        sa.UniqueConstraint('email', name=op.f('uq_account_email')),
    )
    op.create_table(
        'membership',
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('role', sa.String(length=32), nullable=False),
        sa.Column('country', sa.String(length=3), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['account_id'], ['account.id'], ondelete='CASCADE',
                                name=op.f('fk_membership_account_id_account')),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'],
                                name=op.f('fk_membership_organisation_id_organisation')),
        sa.PrimaryKeyConstraint('account_id', 'organisation_id', name=op.f('pk_membership')),
    )
    op.create_table(
        'api_key',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.Text(), nullable=False),
        sa.Column('prefix', sa.String(length=16), nullable=False),
        sa.Column('key_sha256', sa.String(length=64), nullable=False),
        sa.Column('scopes', sa.String(length=64), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['account_id'], ['account.id'], ondelete='CASCADE',
                                name=op.f('fk_api_key_account_id_account')),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'],
                                name=op.f('fk_api_key_organisation_id_organisation')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_api_key')),
        sa.UniqueConstraint('key_sha256', name=op.f('uq_api_key_key_sha256')),
    )
    op.create_index(op.f('ix_api_key_account_id'), 'api_key', ['account_id'])
    op.create_table(
        'web_session',
        sa.Column('id_sha256', sa.String(length=64), nullable=False),
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('csrf', sa.String(length=64), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['account_id'], ['account.id'], ondelete='CASCADE',
                                name=op.f('fk_web_session_account_id_account')),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'],
                                name=op.f('fk_web_session_organisation_id_organisation')),
        sa.PrimaryKeyConstraint('id_sha256', name=op.f('pk_web_session')),
    )
    op.create_index(op.f('ix_web_session_account_id'), 'web_session', ['account_id'])
    op.create_table(
        'one_time_link',
        sa.Column('token_sha256', sa.String(length=64), nullable=False),
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('purpose', sa.String(length=16), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['account_id'], ['account.id'], ondelete='CASCADE',
                                name=op.f('fk_one_time_link_account_id_account')),
        sa.PrimaryKeyConstraint('token_sha256', name=op.f('pk_one_time_link')),
    )
    op.create_table(
        'audit_event',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('account_id', sa.Integer(), nullable=True),
        sa.Column('actor', sa.Text(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=True),
        sa.Column('via', sa.String(length=16), nullable=False),
        sa.Column('action', sa.String(length=32), nullable=False),
        sa.Column('record_type', sa.String(length=32), nullable=False),
        sa.Column('record_key', sa.String(length=255), nullable=False),
        sa.Column('outcome', sa.String(length=16), nullable=False),
        sa.Column('before', sa.Text(), nullable=True),
        sa.Column('after', sa.Text(), nullable=True),
        sa.Column('message', sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_event')),
        sqlite_autoincrement=True,
    )
    op.create_index('ix_audit_event_record', 'audit_event', ['record_type', 'record_key'])
    op.create_table(
        'mail_outbox',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('to_address', sa.String(length=320), nullable=False),
        sa.Column('subject', sa.Text(), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_mail_outbox')),
    )
    op.create_index('ix_mail_outbox_due', 'mail_outbox', ['sent_at', 'next_attempt_at'])
    op.add_column('iati_activity', sa.Column('visibility', sa.String(length=16), nullable=False,
                                             server_default='public'))
    # Plain ADD COLUMN on both databases: a batch copy of ``document`` on SQLite would lose
    # its AUTOINCREMENT (ids are never reused); SQLite takes a REFERENCES clause there.
    op.add_column('document', sa.Column('visibility', sa.String(length=16), nullable=False,
                                        server_default='public'))
    if op.get_bind().dialect.name == 'sqlite':
        op.execute('ALTER TABLE document ADD COLUMN organisation_id INTEGER '
                   'REFERENCES organisation (id)')
    else:
        op.add_column('document', sa.Column('organisation_id', sa.Integer(), nullable=True))
        op.create_foreign_key(op.f('fk_document_organisation_id_organisation'), 'document',
                              'organisation', ['organisation_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('document') as batch:
        batch.drop_constraint(op.f('fk_document_organisation_id_organisation'),
                              type_='foreignkey')
        batch.drop_column('organisation_id')
        batch.drop_column('visibility')
    with op.batch_alter_table('iati_activity') as batch:
        batch.drop_column('visibility')
    for name in ('mail_outbox', 'audit_event', 'one_time_link', 'web_session', 'api_key',
                 'membership', 'account'):
        op.drop_table(name)
