# The production image: gunicorn serving Django, whitenoise serving compressed, hashed static files.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
# The code runs from /app, where templates, static files and locale sit beside the packages: only the
# dependencies are installed (read from pyproject.toml), never a second copy of the project in
# site-packages, so gunicorn, celery and manage.py all import the code in /app.
ENV PYTHONPATH=/app
WORKDIR /app

RUN useradd --system --create-home --uid 10001 quitgpt

# Dependencies first, in their own layer: a code change does not reinstall them.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
      > /tmp/requirements.txt \
 && pip install -r /tmp/requirements.txt && rm /tmp/requirements.txt

COPY . .
# collectstatic needs settings that import; these build-time values are never used at run time.
RUN DJANGO_DEBUG=0 DJANGO_SECRET_KEY=build-only-$(python -c 'import secrets;print(secrets.token_hex(32))') \
    DJANGO_ALLOWED_HOSTS=build python manage.py collectstatic --noinput \
 && python manage.py compile_translations

USER quitgpt
EXPOSE 8000
CMD ["gunicorn", "quitgpt.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
