"""The command line (`python main.py COMMAND`): plain Python over glm_core, no Qt."""
