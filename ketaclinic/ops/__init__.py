"""Operations: background jobs (django-tasks on the database), their scheduler, backups and the
audit report job. A top-layer app: its jobs call the services of several apps."""
