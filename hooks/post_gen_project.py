"""Say what to do next: next_steps.py's text, which copier prints too.

Files an answer turns off are not deleted here: their names render empty (cookiecutter and
copier then skip them), so both engines make the same files without a hook.
"""

print({{ cookiecutter | next_steps(cookiecutter.project_slug) | quoted }})
