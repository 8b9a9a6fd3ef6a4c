"""N-CODE Studio dashboard (Streamlit). Run: python -m streamlit run app/streamlit_app.py"""
