"""Package setup driven by settings.ini (nbdev 2 convention)."""
from configparser import ConfigParser
from pathlib import Path
import shutil
import setuptools
from setuptools.command.build_py import build_py

cfg = ConfigParser(delimiters=["="])
cfg.read("settings.ini", encoding="utf-8")
cfg = cfg["DEFAULT"]

requirements = cfg.get("requirements", "").split()
dev_requirements = cfg.get("dev_requirements", "").split()
cluster_requirements = cfg.get("cluster_requirements", "").split()   # Dask: --executor dask|tcp://|slurm
scripts = [s.strip() for s in cfg.get("console_scripts", "").split() if s.strip()]

class build_py_with_study_notebooks(build_py):
    """Ship the papermill study notebooks (nbs/study/*.ipynb, their source of truth) inside the package as
    multideepnet/study_notebooks/, so `multideepnet reproduce` works from a plain (non-editable) install."""
    def run(self):
        super().run()
        dest = Path(self.build_lib) / "multideepnet" / "study_notebooks"
        dest.mkdir(parents=True, exist_ok=True)
        for nb in sorted(Path("nbs/study").glob("*.ipynb")): shutil.copy2(nb, dest / nb.name)

setuptools.setup(
    cmdclass={"build_py": build_py_with_study_notebooks},
    name=cfg["lib_name"],
    version=cfg["version"],
    description=cfg["description"],
    long_description=Path("README.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    author=cfg["author"],
    author_email=cfg["author_email"],
    url=cfg["git_url"],
    keywords=cfg["keywords"].split(),
    classifiers=["Programming Language :: Python :: 3", "License :: OSI Approved :: Apache Software License"],
    license="Apache-2.0",
    python_requires=">=" + cfg["min_python"],
    packages=setuptools.find_packages(include=["multideepnet", "multideepnet.*"]),
    include_package_data=True,
    package_data={"multideepnet": ["configs/*.yaml", "configs/**/*.yaml"]},
    install_requires=requirements,
    extras_require={"dev": dev_requirements, "cluster": cluster_requirements},
    entry_points={"console_scripts": scripts, "nbdev": [f"{cfg['lib_path']}={cfg['lib_path']}._modidx:d"]},
    zip_safe=False,
)
