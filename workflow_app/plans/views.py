from flask import Blueprint

blueprint = Blueprint("plans", __name__)
