FROM python:3.12
RUN pipx install black
RUN pipx install black==24.1.0
RUN pipx install --index-url https://pypi.example/simple flake8
RUN pipx install -r requirements.txt
RUN pipx install .
RUN pipx install -c constraints.txt mypy
RUN pipx install git+https://example.com/x/y@v1
RUN pipx inject black click
RUN pipx run ruff
RUN pipx upgrade black
RUN pipx install ruff==0.5 isort
USER 1000
