from caseworks import create_app

app = create_app()
